/**
 * The risk map on a phone: MapLibre Native (@maplibre/maplibre-react-native) over Halo's
 * /style.json (hexagons, districts, incidents), with the user's position. Needs a
 * development build: Expo Go has no MapLibre.
 */
import {
  Camera,
  type CameraRef,
  GeoJSONSource,
  Layer,
  Map,
  type MapRef,
  UserLocation,
} from "@maplibre/maplibre-react-native";
import { useEffect, useRef } from "react";
import { StyleSheet, Text, View } from "react-native";
import type { LonLat } from "../geo/geometry";
import { boundsOf, highlightFeature } from "./highlight";
import {
  HIGHLIGHT_COLOUR,
  HIGHLIGHT_SOURCE,
  type MapHit,
  type RiskMapProps,
  TAPPABLE_LAYERS,
} from "./Map.types";

export function RiskMap(props: RiskMapProps) {
  const mapRef = useRef<MapRef>(null);
  const cameraRef = useRef<CameraRef>(null);

  // A selected incident: fit the camera to its area (or point), as the web build does.
  useEffect(() => {
    const box = props.highlight ? boundsOf(props.highlight.geometry) : null;
    if (box) {
      cameraRef.current?.fitBounds(box, {
        padding: { top: 60, left: 30, right: 30, bottom: 420 },
      });
    }
  }, [props.highlight]);

  const handlePress = async (point: [number, number], lngLat: LonLat) => {
    const map = mapRef.current;
    if (!map || !props.onPress) return;
    const hits: MapHit[] = [];
    for (const { layerId, layer } of TAPPABLE_LAYERS) {
      const features = await map.queryRenderedFeatures(point, { layers: [layerId] });
      const first = features[0];
      if (first) hits.push({ layer, properties: { ...(first.properties ?? {}), id: first.id } });
    }
    props.onPress(hits, lngLat);
  };

  return (
    <View style={styles.fill}>
      <Map
        ref={mapRef}
        style={styles.fill}
        mapStyle={props.styleUrl}
        logo={false}
        attribution
        onPress={(event) => void handlePress(event.nativeEvent.point, event.nativeEvent.lngLat)}
        onRegionDidChange={(event) =>
          props.onCenterChange?.(event.nativeEvent.center, event.nativeEvent.zoom)
        }
      >
        <Camera
          ref={cameraRef}
          initialViewState={{ center: [...props.initialCenter], zoom: props.initialZoom }}
        />
        {props.highlight ? (
          <GeoJSONSource
            id={HIGHLIGHT_SOURCE}
            data={{ type: "FeatureCollection", features: [highlightFeature(props.highlight)] }}
          >
            <Layer
              id={`${HIGHLIGHT_SOURCE}-fill`}
              type="fill"
              filter={["==", ["get", "kind"], "area"]}
              paint={{ "fill-color": HIGHLIGHT_COLOUR, "fill-opacity": 0.18 }}
            />
            <Layer
              id={`${HIGHLIGHT_SOURCE}-line`}
              type="line"
              filter={["==", ["get", "kind"], "area"]}
              paint={{ "line-color": HIGHLIGHT_COLOUR, "line-width": 3, "line-dasharray": [2, 1] }}
            />
            <Layer
              id={`${HIGHLIGHT_SOURCE}-point`}
              type="circle"
              filter={["==", ["get", "kind"], "point"]}
              paint={{
                "circle-radius": 7,
                "circle-color": HIGHLIGHT_COLOUR,
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 2,
              }}
            />
          </GeoJSONSource>
        ) : null}
        {props.userPosition ? <UserLocation accuracy /> : null}
      </Map>
      {props.crosshair ? (
        <View pointerEvents="none" style={styles.crosshair}>
          <Text style={styles.crosshairText}>＋</Text>
        </View>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  fill: { flex: 1 },
  crosshair: { ...StyleSheet.absoluteFill, alignItems: "center", justifyContent: "center" },
  crosshairText: {
    fontSize: 40,
    fontWeight: "700",
    color: "#1f3b73",
    textShadowColor: "#ffffff",
    textShadowRadius: 3,
  },
});
