"""Tile pieces shared by the API (serving) and the pipeline (pre-rendering after a refresh):
the layer registry, the stores of rendered tiles and the pre-render itself."""
