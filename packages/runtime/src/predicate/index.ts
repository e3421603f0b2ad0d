/**
 * Predicates: filters that decide whether an event reaches a handler (generation changed, labels match, annotation
 * changed, ...), combined with and, or and not, as controller-runtime's predicate package.
 */
export {
  type Predicate,
  predicateFuncs,
  generationChanged,
  resourceVersionChanged,
  labelChanged,
  annotationChanged,
  labelSelectorPredicate,
  and,
  or,
  not,
  passesCreate,
  passesUpdate,
  passesDelete,
  passesGeneric,
} from "./predicate.ts";
export { type LabelSelectorSpec, type LabelSelectorRequirement, labelMatcher } from "../labels/index.ts";
