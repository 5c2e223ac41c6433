// The tokens page's clipboard: copies the secret that is shown only once.
// navigator.clipboard exists only in a secure context (https, or localhost); LeaseBoard may be served
// over plain http inside a company network, so fall back to copying a selected, hidden textarea there.
export async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
        try {
            await navigator.clipboard.writeText(text);
            return true;
        } catch {
            // Denied (no permission, page not focused): try the fallback.
        }
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try {
        return document.execCommand("copy");
    } catch {
        return false;
    } finally {
        area.remove();
    }
}
