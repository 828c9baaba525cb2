// Package tracking holds the rules of response tracking, with no database
// or HTTP in it: what counts as delivered, failed and replied
// (rules.go), how days to reply are bucketed, which provider events stop
// all email to an address, the groupings of the dashboards (groupings.go),
// the Kaplan-Meier estimate of time to reply and the rates (km.go), and
// the text of emailed replies (cleaned, sealed at rest). The store keeps
// the SQL (rollups, metrics); the web package shows the figures; the
// schedule tick (internal/followup) refreshes the rollups.
//
// A letter that has been delivered and not yet answered is censored at the
// day it has waited so far: it says "no reply within d days", never "no
// reply". The estimator uses every letter for as long as it was observed.
//
// # Adding a grouping
//
// A grouping on a dimension the rollups already have, or one derived from
// the offices, is one entry in Groupings; the API's group_by, the CSV
// export's table and its link on the dashboard, the error messages and
// (with Dashboard: true) the dashboard's table of groupings follow from it.
// For example, offices by committee, counting an office under each of its
// committees:
//
//	{Name: "committee", Title: "Committee", Dim: DimOffice, Dashboard: true,
//		Keys: func(dir *congress.Directory, o Group) []string { return committeesOf(dir, o.Key) },
//		Label: func(dir *congress.Directory, key string) string { return committeeName(dir, key) }},
//
// A grouping on a new dimension also needs the column in the rollup tables
// (a migration), in store's refreshRollups and in store's dimension map.
// The source grouping is one: the rollups' fine cells carry the source of
// the link that brought each letter (the coarse cells '*'), and the store
// adds each source's submissions and confirmations (Group.Submissions,
// Group.Confirmed) from counters kept with the submissions.
//
// # Adding a measure
//
// A new figure per group (calls, say) is a field of Group, summed in Merge,
// filled by store.ResponseMetrics, and shown by the web's rateRow.
package tracking
