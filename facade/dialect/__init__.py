"""The engine: reads each dialect's mapping and serves its routes over the core."""
