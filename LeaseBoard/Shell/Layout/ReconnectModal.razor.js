// Set up event handlers
const reconnectModal = document.getElementById("components-reconnect-modal");
reconnectModal.addEventListener("components-reconnect-state-changed", handleReconnectStateChanged);

const retryButton = document.getElementById("components-reconnect-button");
retryButton.addEventListener("click", retry);

const resumeButton = document.getElementById("components-resume-button");
resumeButton.addEventListener("click", resume);

// The wall runs unattended on a TV: no dialog anybody would have to close. It shows a full-width
// banner instead and keeps retrying by itself, reloading when the server no longer knows the circuit.
const isWall = () => document.querySelector("[data-wall]") !== null;
let wallRetryTimer = null;

function wallBanner(show, text) {
    let banner = document.getElementById("wall-reconnect-banner");
    if (!banner) {
        banner = document.createElement("div");
        banner.id = "wall-reconnect-banner";
        banner.setAttribute("role", "status");
        banner.setAttribute("aria-live", "polite");
        banner.dataset.testid = "wall-reconnect";
        document.body.appendChild(banner);
    }
    banner.textContent = text || "Connection to LeaseBoard lost · reconnecting…";
    banner.classList.toggle("visible", show);
}

function handleWallReconnectState(state) {
    if (state === "show" || state === "retrying") {
        wallBanner(true);
    } else if (state === "hide") {
        wallBanner(false);
        clearTimeout(wallRetryTimer);
    } else if (state === "failed" || state === "resume-failed") {
        wallBanner(true, "Connection to LeaseBoard lost · trying again every few seconds…");
        clearTimeout(wallRetryTimer);
        wallRetryTimer = setTimeout(retry, 5000);
    } else if (state === "paused") {
        wallBanner(true);
        resume();
    } else if (state === "rejected") {
        location.reload();
    }
}

function handleReconnectStateChanged(event) {
    if (isWall()) {
        handleWallReconnectState(event.detail.state);
        return;
    }
    if (event.detail.state === "show") {
        reconnectModal.showModal();
    } else if (event.detail.state === "hide") {
        reconnectModal.close();
    } else if (event.detail.state === "failed") {
        document.addEventListener("visibilitychange", retryWhenDocumentBecomesVisible);
    } else if (event.detail.state === "rejected") {
        location.reload();
    }
}

async function retry() {
    document.removeEventListener("visibilitychange", retryWhenDocumentBecomesVisible);

    try {
        // Reconnect will asynchronously return:
        // - true to mean success
        // - false to mean we reached the server, but it rejected the connection (e.g., unknown circuit ID)
        // - exception to mean we didn't reach the server (this can be sync or async)
        const successful = await Blazor.reconnect();
        if (!successful) {
            // We have been able to reach the server, but the circuit is no longer available.
            // We'll reload the page so the user can continue using the app as quickly as possible.
            const resumeSuccessful = await Blazor.resumeCircuit();
            if (!resumeSuccessful) {
                location.reload();
            } else if (isWall()) {
                wallBanner(false);
            } else {
                reconnectModal.close();
            }
        }
    } catch (err) {
        // We got an exception, server is currently unavailable
        if (isWall()) {
            clearTimeout(wallRetryTimer);
            wallRetryTimer = setTimeout(retry, 5000);
            return;
        }
        document.addEventListener("visibilitychange", retryWhenDocumentBecomesVisible);
    }
}

async function resume() {
    try {
        const successful = await Blazor.resumeCircuit();
        if (!successful) {
            location.reload();
        }
    } catch {
        reconnectModal.classList.replace("components-reconnect-paused", "components-reconnect-resume-failed");
    }
}

async function retryWhenDocumentBecomesVisible() {
    if (document.visibilityState === "visible") {
        await retry();
    }
}
