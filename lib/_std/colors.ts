// Typed boundary over deno-std's terminal colors (the npm republish ships JS
// without types). Mapped as "@std/fmt/colors" in deno.json.
import * as std from "deno-std/fmt/colors.js";

type Style = (text: string) => string;

/** Bold text. */
export const bold: Style = std.bold;
/** Dim text. */
export const dim: Style = std.dim;
/** Red text. */
export const red: Style = std.red;
/** Green text. */
export const green: Style = std.green;
/** Yellow text. */
export const yellow: Style = std.yellow;
/** Cyan text. */
export const cyan: Style = std.cyan;
/** Turns colors on or off (they follow NO_COLOR by default). */
export const setColorEnabled: (value: boolean) => void = std.setColorEnabled;
