/**
 * controller-runtime's builder, the short way to a controller: for() the kind it reconciles, owns() the kinds it
 * creates, watches() anything else, withEventFilter() for all of them; complete() builds a Controller with kind sources
 * on the manager's cache and adds it to the manager. reserveName() is the one naming rule for every builder of a manager.
 */
export * from "./builder.ts";
