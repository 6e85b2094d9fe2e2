/** Instants as readers read them: local time, unambiguous, dense. */

const two = (n: number): string => String(n).padStart(2, "0");

/** An ISO instant in the reader's time zone as "2024-04-17 10:02" (unambiguous); "" for none. */
export function formatInstant(iso: string | null): string {
  if (!iso) return "";
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  const date = `${time.getFullYear()}-${two(time.getMonth() + 1)}-${two(time.getDate())}`;
  return `${date} ${two(time.getHours())}:${two(time.getMinutes())}`;
}
