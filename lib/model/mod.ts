/**
 * The analyses the measurements are compared with: the paper's Markov chain and appendix A, epidemics, SWIM, Lifeguard, phi accrual, catastrophe broadcasts.
 *
 * @module
 */

export * from "./appendix_a.ts";
export * from "./catastrophe.ts";
export * from "./epidemic.ts";
export * from "./gossip_markov.ts";
export * from "./lifeguard.ts";
export * from "./phi_accrual.ts";
export * from "./swim.ts";
