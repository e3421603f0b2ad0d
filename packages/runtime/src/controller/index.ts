export { Controller, type ControllerOptions } from "./controller.ts";
