/**
 * Entry point. Background tasks are defined first, at module load: the OS may start the app
 * only to run them (a region crossed while Halo is closed), with no screen at all.
 */
import { registerRootComponent } from "expo";
import App from "./App";
import { services } from "./src/app/services";
import { defineBackgroundTasks } from "./src/platform/geofencing";

defineBackgroundTasks(() => ({
  onRegion: (regionId, entered, fix) =>
    services().geofence.handleRegionEvent(regionId, entered, fix),
  onFix: (fix) => services().geofence.handleFix(fix),
}));

registerRootComponent(App);
