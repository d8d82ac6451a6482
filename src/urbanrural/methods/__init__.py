"""Methods layer: pure functions and small result objects (no files, printing or plots)."""
