/** Display formatting for DICOM values: person names, dates, times. Pure functions. */

import type { PersonNameValue } from "./dicomJson";

/**
 * "Family^Given^Middle^Prefix^Suffix" -> "Family, Given Middle". Falls back to the ideographic
 * or phonetic group when there is no alphabetic one; prefix and suffix follow when present.
 */
export function formatPersonName(name: PersonNameValue | string | undefined): string {
  if (name === undefined) return "";
  const raw =
    typeof name === "string" ? name : (name.Alphabetic ?? name.Ideographic ?? name.Phonetic ?? "");
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = raw
    .split("^")
    .map((part) => part.trim());
  const forenames = [prefix, given, middle].filter(Boolean).join(" ");
  const main = family && forenames ? `${family}, ${forenames}` : family || forenames;
  return [main, suffix].filter(Boolean).join(" ");
}

const DA = /^(\d{4})(\d{2})(\d{2})$/;

/** DICOM DA "YYYYMMDD" (or the old "YYYY.MM.DD") -> ISO "YYYY-MM-DD"; anything else as given. */
export function formatDicomDate(value: string | undefined): string {
  if (!value) return "";
  const match = DA.exec(value.trim().replaceAll(".", ""));
  if (!match) return value.trim();
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) {
    return value.trim();
  }
  return `${year}-${month}-${day}`;
}

/** DICOM TM "HHMMSS.FFFFFF" (any precision) -> "HH:MM" or "HH:MM:SS"; anything else as given. */
export function formatDicomTime(value: string | undefined): string {
  if (!value) return "";
  const match = /^(\d{2})(\d{2})?(\d{2})?/.exec(value.trim().replaceAll(":", ""));
  if (!match) return value.trim();
  const [, hours, minutes = "00", seconds] = match;
  return seconds ? `${hours}:${minutes}:${seconds}` : `${hours}:${minutes}`;
}

/** An <input type="date"> value "YYYY-MM-DD" -> DICOM DA "YYYYMMDD"; "" when empty or invalid. */
export function toDicomDate(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate.trim());
  return match ? `${match[1]}${match[2]}${match[3]}` : "";
}

/** A QIDO date range from two optional ISO dates: "from-to", "from-", "-to", a day, or "". */
export function toDicomDateRange(fromIso: string, toIso: string): string {
  const from = toDicomDate(fromIso);
  const to = toDicomDate(toIso);
  if (!from && !to) return "";
  if (from && from === to) return from;
  return `${from}-${to}`;
}

/** An ISO instant as "YYYY-MM-DD HH:MM" in this workstation's time zone; unparsable: as given. */
export function localDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}`
  );
}
