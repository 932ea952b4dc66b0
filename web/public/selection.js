// What the map draws for a selected incident, by its location support: an exact point only
// for point support; a place's area (its polygon, or a circle of its radius); the district's
// or municipality's polygon. Never a pin for a location that is not exact.
const PLACE_RADIUS_M = 150; // a named place without its own radius: a small square or station

export function selectionFeatures(location, geometry) {
  if (!geometry) return [];
  if (location.support === "point") return [feature(geometry)];
  if (geometry.type === "Point") {
    return [feature(circle(geometry.coordinates, location.radius_m || PLACE_RADIUS_M))];
  }
  return [feature(geometry)];
}

function feature(geometry) {
  return { type: "Feature", properties: {}, geometry };
}

// A 64-sided polygon of radius_m around [lon, lat] (equirectangular: fine below a few km).
export function circle([lon, lat], radiusM) {
  const ring = [];
  const dLat = radiusM / 111320;
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

export function boundsOf(features) {
  let bounds = null;
  const visit = (coords) => {
    if (typeof coords[0] === "number") {
      const [x, y] = coords;
      bounds = bounds
        ? [[Math.min(bounds[0][0], x), Math.min(bounds[0][1], y)],
           [Math.max(bounds[1][0], x), Math.max(bounds[1][1], y)]]
        : [[x, y], [x, y]];
      return;
    }
    for (const c of coords) visit(c);
  };
  for (const f of features) visit(f.geometry.coordinates);
  return bounds;
}

// The list's radius: half the shorter side of the view, 500 m to 20 km (the API's limit).
export function listRadius(map) {
  const bounds = map.getBounds();
  const centre = map.getCenter();
  const north = centre.distanceTo({ lng: centre.lng, lat: bounds.getNorth() });
  const east = centre.distanceTo({ lng: bounds.getEast(), lat: centre.lat });
  return Math.round(Math.min(20000, Math.max(500, Math.min(north, east))));
}
