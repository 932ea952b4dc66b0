"""Vector tiles: the layer allow-list, caches, the tile route, TileJSON and the MapLibre style."""
