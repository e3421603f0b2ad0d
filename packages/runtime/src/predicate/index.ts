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
