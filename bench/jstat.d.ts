/** The part of jstat (no type declarations of its own) that the bench uses: Student's t quantiles. */
declare module 'jstat' {
  const jstat: { jStat: { studentt: { inv(p: number, degreesOfFreedom: number): number } } };
  export default jstat;
}
