"""The inference precision names, in a module without torch: configs validate against them on load, and
:func:`writing7.models.runtime.resolve_precision` decides what each one runs as."""

INFERENCE_PRECISIONS = ("auto", "fp32", "bf16", "int8")
DEFAULT_PRECISION = "auto"  # [inference], [index] and the Matcher default to it
