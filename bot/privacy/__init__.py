"""What is stored about people, for how long, and deleting it."""
