package replsql

// Quote exposes quote to the external integration test, which reads
// quoted literals back from a real server.
var Quote = quote
