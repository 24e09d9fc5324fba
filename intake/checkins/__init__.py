"""Check-ins: asking people who wait a long time whether they are still interested."""
