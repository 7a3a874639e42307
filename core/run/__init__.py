"""What runs a plan: calibration, the quality measurement, the executor and the export."""
