"""Calibration: temperature and Platt scaling, decision threshold and abstention band, the style map, and the bundle inference loads."""
