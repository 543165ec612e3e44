"""Channel analyses: parity between channels, channel shift, service levels."""
