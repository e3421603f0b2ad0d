export {
  type Predicate,
  predicateFuncs,
  generationChanged,
  resourceVersionChanged,
  labelChanged,
  annotationChanged,
  and,
  or,
  not,
  passesCreate,
  passesUpdate,
  passesDelete,
  passesGeneric,
} from "./predicate.ts";
export { type LabelSelectorSpec, type LabelSelectorRequirement, labelSelectorPredicate, labelMatcher } from "./selector.ts";
