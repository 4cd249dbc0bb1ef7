/** @packageDocumentation The assigner package of dicer-ts (being built). */
export {};
