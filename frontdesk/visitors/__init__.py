"""The waiting room: queue tickets taken at a kiosk, called to a desk, shown on a screen."""
