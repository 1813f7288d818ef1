// en.json imported as one of its two parts (vite.config.ts compiles and splits it; src/i18n/firstScreen.ts).
declare module '*?first-screen' {
  const messages: Record<string, unknown>;
  export default messages;
}
declare module '*?rest' {
  const messages: Record<string, unknown>;
  export default messages;
}
