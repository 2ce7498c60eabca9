"""Reports for editors: the content gaps, at a glance."""
