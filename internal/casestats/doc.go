// Package casestats is the pure domain core of the case statistics: the
// case-record schema and its validation, identifier detection, CSV and JSON
// import, the computation of a release's figures under disclosure control,
// and a synthetic demonstration data set. It has no database or web code:
// the store persists records and releases (as the JSON of Figures), the web
// layer calls the functions here. It follows shared/reference/privacy.md.
//
// # Records
//
// A Record holds only the 13 allow-listed fields of Fields, each with
// enumerated values (AllowedValues, ValueLabel for select boxes). Every
// record documents one child separated from a parent; Quarter is the
// year-quarter of the separation (2015-Q1 to 2030-Q4) and State the USPS
// code of the state or territory where it happened. Anything else (names,
// A-numbers, SSNs and other identification numbers, dates, exact ages,
// addresses, ZIP codes, phones, emails, the spoken language, free text) is
// refused: Validate says what a rejected value looks like (LooksIdentifying)
// and never repeats it. Unknown CSV columns and JSON keys are refused and
// their values checked too. Record.Normalize makes user input canonical
// ("Yes" -> "yes", " tx" -> "TX").
//
// # Import
//
// ParseCSV streams a file in constant memory, calling a callback per valid
// row until the first error (run it inside a transaction and commit only if
// no error was reported; or validate with a nil callback first and apply in
// a second pass). ParseJSON takes one object or an array, all-or-nothing.
//
// # Counting
//
// A Counter takes records one by one (Add), distinct records with their
// number (AddN, for a SQL GROUP BY over all 13 fields), or the counts of
// its margins (AddMargin): a release depends on the records only through
// the joint counts of a few groups of fields (Margins), so a store can
// count 1,000,000 records with two GROUP BYs of a few thousand rows each
// (the table fields; all the other fields) instead of sending every record.
// Figures refuses a Counter whose margins do not add up to the same cases.
//
// # Figures and their definitions
//
// Headline counts (keys), over the documented cases:
//
//	cases, children_separated   every record (one separated child each): the two keys are the same number
//	parents_handed_form         form_presented is two_option or three_option
//	forms_premarked             a form was presented and form_premarked = yes
//	forms_english_only          a form was presented and form_english_only = yes
//	language_barrier            language_barrier = yes
//	told_no_rights              told_no_rights = yes
//	threatened_permanent_separation  threatened_permanent_separation = yes
//	credible_fear_positive      credible_fear = positive
//	credible_fear_positive_withdrawn credible_fear = positive and asylum_claim = withdrawn
//	still_separated             outcome = separated (same number as table cell by_outcome.separated)
//	reunified                   outcome = reunified (by_outcome.reunified)
//	deported_without_child      outcome = deported_without_child (by_outcome.deported_without_child)
//
// "unknown" never counts as yes, so every share over all cases is a lower
// bound. Percentages (key: numerator / denominator):
//
//	pct_handed_form             parents_handed_form / cases
//	pct_forms_premarked         forms_premarked / parents_handed_form
//	pct_english_only            forms_english_only / parents_handed_form
//	pct_language_barrier        language_barrier / cases
//	pct_told_no_rights          told_no_rights / cases
//	pct_threatened              threatened_permanent_separation / cases
//	pct_credible_fear_positive_withdrawn  credible_fear_positive_withdrawn / credible_fear_positive
//	pct_still_separated, pct_reunified, pct_deported_without_child  over children_separated
//
// Tables: by_quarter (the span of quarters with cases), by_state (all 56
// codes), by_child_age_bracket, by_facility_type and by_outcome; each total
// is the number of cases. Every cell can be quoted as "table.value"
// (Keys lists all keys; Figures.Value gives the text to quote).
//
// # Disclosure control (privacy.md)
//
// The guarantee: from the public JSON of a release, or of a release and
// any earlier one, no count of a group of people (a count, a sum of cells
// of a table, the difference of nested counts, or the change of any of
// these between the two releases) that is from 1 to Threshold-1 (or down
// by as much) has a single possible value. attack_test.go checks it as an
// attacker who knows only the JSON and this documentation.
//
//   - Releases, not live counters: Compute/Counter.Figures produce a
//     snapshot that the store saves and publishes; letters quote a release.
//   - Cell-size rule: a count from 1 to Threshold-1 (default 11, floor 11)
//     is never published: value null, suppressed, shown as "fewer than 11".
//     Zero is published as 0, as privacy.md allows.
//   - Complementary suppression, checked on exact counts (as if a reader
//     knew every published count exactly, so that rounding is an extra
//     layer): in every table the suppressed cells, read with the bounds
//     their labels give ("fewer than 11" means 1..10; "not published" means
//     at least 11, for a complement is always a count of at least 11), the
//     published cells and the total must leave every suppressed cell (and a
//     suppressed total) at least two possible values, and the suppressed
//     cells together (the total minus the published cells) may not be a
//     known count from 1 to Threshold-1. Cells are added smallest first,
//     preferring cells that are not also headline figures; if nothing is
//     left to add, the table is withheld as a whole. Figures that are the
//     same number (still_separated and by_outcome.separated, ...) are
//     suppressed together. For nested headline counts (forms_premarked
//     within parents_handed_form within cases, ...) the difference of two
//     published counts is the count of a group of people, so it may not be
//     1..Threshold-1 either (the subset count is held back), and no
//     suppressed headline may be pinned down by its nesting.
//   - l-diversity: the outcome must take at least two values among the cases
//     or the by_outcome table (and its headline figures) is withheld; a
//     subset count equal to its published superset (everyone in the group
//     shares the attribute) is held back.
//   - Rounding: published counts are rounded half up to a multiple of
//     Rounding (default 5), each on its own (table totals too), and a count
//     of at least Threshold never rounds below it (11 and 12 publish as 15).
//   - Percentages are whole percents, half up, of the published (rounded)
//     counts, shown only when both are published and the published
//     denominator stands for at least MinDenominator cases (default 30,
//     floor 30: the smallest exact count that rounds to it is at least
//     that). They are a function of published numbers, so they reveal
//     nothing the counts do not; the JSON says so ("percent_basis":
//     "published_counts"). Releases made before had one-decimal
//     percentages of exact counts and no percent_basis; they are read that
//     way when a new release is compared with them.
//   - Earlier releases: a new release is compared with every earlier one
//     (reader.go, release.go). An integer program over the exact counts
//     behind the two, built from their public content only, is read two
//     ways: as two unrelated snapshots, and as "cases were only added"
//     (no count of any group went down) when that is possible. Every
//     count, difference of nested counts and sum of cells (every sum in the
//     small tables; in the others, of the cells their labels leave open,
//     pairs, all of them, all but one and all but two) whose change has a single possible value from 1 to
//     Threshold-1 (or down by as much) is a risk: random solutions settle
//     most quantities, an exhaustive search the rest (a search that runs
//     out of budget counts as a risk). The counts whose own change is
//     pinned are held back (then those of pinned groups, then the smallest
//     published cell of the table, or the count a headline is nested in),
//     with complementary suppression, and the check runs again. The release
//     is refused (a *TooCloseError, wrapping ErrTooCloseToPrevious, with the
//     reason) when only the total or a whole table could be held back, or
//     when every count that changed since the latest release would be held
//     back (it would publish nothing new).
//   - Not modelled: three or more releases read together; a reader who
//     knows how complementary cells are chosen; a reader who knows some of
//     the records. Rounding and the cell-size rule remain the protection
//     there.
//
// Optional differential-privacy noise (privacy.md) is not implemented here.
package casestats
