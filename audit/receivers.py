"""Signal receivers that write audit rows (filled in below)."""
