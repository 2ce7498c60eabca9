"""Hand-off to staff: cases (what the conversation core opens and feeds) and the staff console."""
