"""Human-readable reports: Markdown tables and PNG plots (matplotlib, Agg backend)."""
