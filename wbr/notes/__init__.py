"""The owners' notes: explanations on flags and metric-weeks, with every revision kept."""
