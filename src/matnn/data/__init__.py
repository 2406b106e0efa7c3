"""Data representations: battery records, composition features, crystal graphs, images and microstructures, seeded splits."""
