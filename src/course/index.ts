/**
 * The course's exercise checks (`pl.course`): check cells compare a student's answer with the
 * expected one and print a clear `✓` / `✗` line (never a stack trace), and `pl.course.TODO` is the
 * placeholder of the student notebooks (notebooks/course/, generated from the teacher's
 * versions by scripts/make-course.js). Nothing here touches the file system or Node-only
 * modules, so that the lessons run in the browser kernel too.
 */
export { check, verify, progress, results, resetProgress, type Expectation, type CheckOptions, type CheckResult, type ExpectationOutcome } from './check';
export { TODO, isTodo, NotAnsweredError, isNotAnswered } from './todo';
export { formatValue, formatNumber } from './format';
