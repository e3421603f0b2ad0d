/**
 * Standard flags: the command line every operator built on the runtime takes, as kubebuilder's main.go declares it
 * (--kubeconfig, --context, --metrics-bind-address, --health-probe-bind-address, --leader-elect, --log-level,
 * --log-format), parsed once into ManagerOptions and the root logger, beside the program's own typed flags.
 */
export * from "./standard-flags.ts";
