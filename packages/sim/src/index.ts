/** @packageDocumentation The sim package of dicer-ts (being built). */
export {};
