// Expo's Babel preset: TypeScript, JSX and EXPO_PUBLIC_* inlining, for Metro and for Jest.
module.exports = function configureBabel(api) {
  api.cache(true);
  return { presets: ["babel-preset-expo"] };
};
