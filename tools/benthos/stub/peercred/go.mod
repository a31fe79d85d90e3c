// Placeholder for inet.af/peercred, which the Go module proxy refuses (403).
// It is only needed to complete the module graph (required by
// github.com/AthenZ/athenz); no package of it is compiled into benthos.
module inet.af/peercred

go 1.17
