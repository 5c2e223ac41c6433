// Small helpers the Blazor components call; kept global because they are tiny and page-independent.
window.leaseBoard = {
    // The viewer's IANA time zone, so times are shown (and typed) in local time.
    timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
};
