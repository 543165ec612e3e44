"""The demo municipality: catalogue, users and a year of synthetic contacts."""
