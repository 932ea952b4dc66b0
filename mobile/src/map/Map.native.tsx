/**
 * The risk map on a phone: MapLibre Native (@maplibre/maplibre-react-native) over Halo's
 * /style.json (hexagons, districts, incidents), with the user's position. Needs a
 * development build: Expo Go has no MapLibre.
 */
import { Camera, Map, type MapRef, UserLocation } from "@maplibre/maplibre-react-native";
import { useRef } from "react";
import { StyleSheet, Text, View } from "react-native";
import type { LonLat } from "../geo/geometry";
import { type MapHit, type RiskMapProps, TAPPABLE_LAYERS } from "./Map.types";

export function RiskMap(props: RiskMapProps) {
  const mapRef = useRef<MapRef>(null);

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
        onRegionDidChange={(event) => props.onCenterChange?.(event.nativeEvent.center)}
      >
        <Camera initialViewState={{ center: [...props.initialCenter], zoom: props.initialZoom }} />
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
