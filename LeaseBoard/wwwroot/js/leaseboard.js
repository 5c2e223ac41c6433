// Small helpers the Blazor components call; kept global because they are tiny and page-independent.
window.leaseBoard = {
    // The viewer's IANA time zone, so times are shown (and typed) in local time.
    timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    // Remembers the light/dark choice for a year; the server reads it to render the right theme from the first paint.
    rememberTheme: (theme) => {
        document.cookie = `leaseboard-theme=${theme}; path=/; max-age=31536000; samesite=lax`;
    },
};
