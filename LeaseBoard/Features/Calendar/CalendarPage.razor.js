// Pointer handling for the calendar: draw to create, drag to move (also across lanes) and resize
// by the edges, with a ghost snapped to the grid and a live conflict preview. While the pointer
// moves nothing goes to the server: the page hands the lanes' blocks over as data (update), and
// the module calls .NET once, on release (OnDrawnAsync or OnMovedAsync). The preview mirrors
// ConflictPreview.Check in CalendarGeometry.cs; the server's booking result is the truth.

const controllers = new WeakMap();

export function attach(root, dotnet, data) {
    controllers.get(root)?.dispose(); // attaching again replaces the old controller: never two listening to one calendar
    const controller = new Controller(root, dotnet);
    controller.update(data);
    controllers.set(root, controller);
    root.dataset.calendarReady = "true"; // tests (and people) can start dragging from here on
}

export function update(root, data) {
    controllers.get(root)?.update(data);
}

export function detach(root) {
    controllers.get(root)?.dispose();
    controllers.delete(root);
}

/** Scrolls the time axis so that the instant (ms since the epoch) sits near the left edge. */
export function scrollToTime(root, ms) {
    const c = controllers.get(root);
    const scroller = root.querySelector(".cal-scroller");
    if (!c || !scroller) return;
    const x = (ms - c.data.viewStart) / 60000 * c.data.pxPerMinute;
    scroller.scrollLeft = Math.max(0, x - 60 * c.data.pxPerMinute);
}

const MIN_DRAG_PX = 5;

/** The pure preview check, line by line the same as ConflictPreview.Check. */
export function check(start, end, laneBlocks, movingId, now, rules, closedReason, fmt) {
    if (closedReason) return closedReason;
    const minutes = (end - start) / 60000;
    if (minutes < rules.minMinutes) return `Too short: at least ${describe(rules.minMinutes)}`;
    if (minutes > rules.maxMinutes) return `Too long: at most ${describe(rules.maxMinutes)}`;
    if (start < now - rules.pastToleranceMinutes * 60000) return "Starts in the past";
    const buffer = rules.bufferMinutes * 60000;
    for (const b of laneBlocks) {
        if (b.id === movingId) continue;
        if (b.start < end + buffer && b.end + buffer > start)
            return `Overlaps ${b.title} ${fmt(b.start)}–${fmt(b.end)} (with the ${describe(rules.bufferMinutes)} changeover)`;
    }
    return null;
}

function describe(minutes) {
    const h = Math.floor(minutes / 60), m = minutes % 60;
    if (h === 0) return minutes === 1 ? "1 minute" : `${minutes} minutes`;
    if (m === 0) return h === 1 ? "1 hour" : `${h} hours`;
    return `${h} h ${m} min`;
}

function durationLabel(ms) {
    const minutes = Math.round(ms / 60000);
    if (minutes < 60) return `${minutes} min`;
    const m = minutes % 60;
    return m === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${String(m).padStart(2, "0")}`;
}

class Controller {
    constructor(root, dotnet) {
        this.root = root;
        this.dotnet = dotnet;
        this.calls = 0;
        this.pending = null;
        this.drag = null;
        this.onDown = e => this.down(e);
        this.onMove = e => this.move(e);
        this.onUp = e => this.up(e);
        this.onKey = e => this.key(e);
        this.onClick = e => {
            if (!this.suppressClick) return;
            e.stopPropagation();
            e.preventDefault();
            this.suppressClick = false;
        };
        root.addEventListener("pointerdown", this.onDown);
        root.addEventListener("click", this.onClick, true);
        document.addEventListener("keydown", this.onKey);
    }

    dispose() {
        this.removeGhost();
        this.root.removeEventListener("pointerdown", this.onDown);
        this.root.removeEventListener("click", this.onClick, true);
        document.removeEventListener("keydown", this.onKey);
        this.stopListening();
    }

    update(data) {
        // The server's clock (TimeProvider) decides what "now" is; keep its offset from the browser's.
        data.clientSkew = Date.now() - data.now;
        this.data = data;
        this.lanes = new Map(data.lanes.map(l => [l.key, l]));
        this.fmt = ms => new Intl.DateTimeFormat("en-GB", { timeZone: data.zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
        // Someone else may just have taken the slot being drawn: re-check the ghost against the new data.
        if (this.drag) this.render();
    }

    key(e) {
        if (e.key === "Escape" && (this.drag || this.pending)) {
            this.cancel("Drag cancelled.");
            return;
        }
        // Shortcuts (UX.md): C create, T today, Ctrl+arrows previous/next period, Alt+1..3 views. Not while typing or in a dialog.
        if (e.defaultPrevented || this.drag || e.target.closest?.("input, textarea, select, [contenteditable], .mud-dialog")) return;
        if (document.querySelector(".mud-dialog-container")) return;
        const shortcut =
            !e.ctrlKey && !e.altKey && !e.metaKey && (e.key === "c" || e.key === "C") ? "create" :
            !e.ctrlKey && !e.altKey && !e.metaKey && (e.key === "t" || e.key === "T") ? "today" :
            e.ctrlKey && e.key === "ArrowLeft" ? "previous" :
            e.ctrlKey && e.key === "ArrowRight" ? "next" :
            e.altKey && ["1", "2", "3"].includes(e.key) ? `view-${e.key}` : null;
        if (!shortcut) return;
        e.preventDefault();
        this.dotnet.invokeMethodAsync("OnShortcutAsync", shortcut);
    }

    /** Near the left or right edge of the visible lanes, a drag scrolls the time axis (and keeps the ghost under the pointer). */
    autoScroll(clientX) {
        const scroller = this.root.querySelector(".cal-scroller");
        const head = this.root.querySelector(".cal-lane-head");
        if (!scroller || !head) return;
        const right = scroller.getBoundingClientRect().right;
        const left = head.getBoundingClientRect().right;
        this.scrollSpeed = clientX < left + 40 ? -14 : clientX > right - 40 ? 14 : 0;
        if (!this.scrollSpeed || this.scrollFrame) return;
        const tick = () => {
            this.scrollFrame = null;
            if (!this.drag || !this.scrollSpeed || !this.lastPointer) return;
            scroller.scrollLeft += this.scrollSpeed;
            this.move(this.lastPointer, true);
            this.scrollFrame = requestAnimationFrame(tick);
        };
        this.scrollFrame = requestAnimationFrame(tick);
    }

    timeAt(track, clientX) {
        const rect = track.getBoundingClientRect();
        return this.data.viewStart + (clientX - rect.left) / this.data.pxPerMinute * 60000;
    }

    snap(ms) {
        const grid = this.data.gridMinutes * 60000;
        return Math.round(ms / grid) * grid;
    }

    trackAt(x, y) {
        for (const el of document.elementsFromPoint(x, y)) {
            const track = el.closest?.("[data-lane]");
            if (track && this.root.contains(track)) return track;
        }
        return null;
    }

    down(e) {
        if (e.button !== 0 || this.drag) return;
        const track = e.target.closest("[data-lane]");
        if (!track || !this.lanes) return;
        const lane = this.lanes.get(track.dataset.lane);
        if (!lane) return;
        const blockEl = e.target.closest("[data-reservation-id]");
        const base = { x: e.clientX, y: e.clientY, pointerId: e.pointerId, lane, track };
        if (blockEl) {
            const block = lane.blocks.find(b => b.id === Number(blockEl.dataset.reservationId));
            if (!block) return;
            if (!block.movable) {
                this.pending = { ...base, kind: "refused", block };
            } else {
                const edge = e.target.closest("[data-edge]")?.dataset.edge;
                // Where the pointer is from the part being dragged (the start for a move or the start edge, the end for the end
                // edge): the edge follows the pointer's movement from there, not the pointer itself, which sits inside the edge.
                const grab = this.timeAt(track, e.clientX) - (edge === "end" ? block.end : block.start);
                this.pending = { ...base, kind: edge ? `resize-${edge}` : "move", block, blockEl, grab };
            }
        } else {
            this.pending = { ...base, kind: "create", anchor: this.timeAt(track, e.clientX) };
        }
        e.preventDefault(); // no text selection while drawing; the click still follows
        document.addEventListener("pointermove", this.onMove);
        document.addEventListener("pointerup", this.onUp);
        document.addEventListener("pointercancel", this.onUp);
    }

    move(e, fromScroll = false) {
        const p = this.pending;
        if (!p) return;
        this.lastPointer = { clientX: e.clientX, clientY: e.clientY };
        if (!this.drag) {
            if (Math.hypot(e.clientX - p.x, e.clientY - p.y) < MIN_DRAG_PX) return;
            if (p.kind === "refused") {
                this.announce(`You can't move "${p.block.title}": it is ${p.block.owner}'s reservation. Only the owner or an admin can change it.`, true);
                this.pending = null;
                this.suppressClick = true;
                this.stopListening();
                return;
            }
            this.drag = { ...p };
            try { this.root.setPointerCapture(p.pointerId); } catch { /* the pointer may already be gone */ }
            if (p.blockEl) p.blockEl.classList.add("cal-block-dragging");
        }
        const d = this.drag;
        if (!fromScroll) this.autoScroll(e.clientX);
        const over = d.kind === "move" ? (this.trackAt(e.clientX, e.clientY) ?? d.track) : d.track;
        d.track = over;
        d.lane = this.lanes.get(over.dataset.lane) ?? d.lane;
        const t = this.timeAt(over, e.clientX);
        const grid = this.data.gridMinutes * 60000;
        if (d.kind === "create") {
            const a = this.snap(d.anchor), b = this.snap(t);
            d.start = Math.min(a, b);
            d.end = Math.max(a, b);
            if (d.end === d.start) d.end = d.start + grid;
        } else if (d.kind === "move") {
            d.start = this.snap(t - d.grab);
            d.end = d.start + (d.block.end - d.block.start);
        } else if (d.kind === "resize-start") {
            d.start = Math.min(this.snap(t - d.grab), d.block.end - grid);
            d.end = d.block.end;
        } else {
            d.start = d.block.start;
            d.end = Math.max(this.snap(t - d.grab), d.block.start + grid);
        }
        this.render();
    }

    render() {
        const d = this.drag;
        if (!d || d.start === undefined) return;
        const lane = this.lanes.get(d.lane.key) ?? d.lane; // fresh data after an update
        d.reason = check(d.start, d.end, lane.blocks, d.block?.id ?? null, Date.now() - this.data.clientSkew, this.data.rules, lane.closed, this.fmt);
        const layer = d.track.querySelector(".cal-ghost-layer");
        if (!layer) return;
        let ghost = this.ghost;
        if (!ghost) {
            ghost = this.ghost = document.createElement("div");
            ghost.className = "cal-ghost";
            ghost.dataset.testid = "drag-ghost";
            ghost.setAttribute("aria-hidden", "true");
            ghost.innerHTML = '<span class="cal-ghost-label"></span><span class="cal-ghost-reason"></span>';
        }
        if (ghost.parentElement !== layer) layer.appendChild(ghost);
        const ppm = this.data.pxPerMinute;
        ghost.style.left = `${(d.start - this.data.viewStart) / 60000 * ppm}px`;
        ghost.style.width = `${(d.end - d.start) / 60000 * ppm}px`;
        ghost.classList.toggle("cal-ghost-conflict", !!d.reason);
        ghost.dataset.conflict = d.reason ? "true" : "false";
        ghost.dataset.lane = lane.key;
        ghost.querySelector(".cal-ghost-label").textContent = `${this.fmt(d.start)}–${this.fmt(d.end)} · ${durationLabel(d.end - d.start)}`;
        ghost.querySelector(".cal-ghost-reason").textContent = d.reason ?? "";
        ghost.title = d.reason ?? "";
        this.root.classList.toggle("cal-dragging-invalid", !!d.reason);
    }

    async up() {
        const d = this.drag;
        this.pending = null;
        this.stopListening();
        if (!d) return; // a plain click: Blazor's handler takes it
        this.drag = null;
        this.suppressClick = true;
        setTimeout(() => { this.suppressClick = false; }, 0);
        this.root.classList.remove("cal-dragging-invalid");
        if (d.start === undefined) { this.finishBlock(d); this.removeGhost(); return; }
        if (d.reason) {
            this.announce(`Can't ${d.kind === "create" ? "book" : "drop"}: ${d.reason}.`, true);
            this.finishBlock(d);
            this.returnGhost(d);
            return;
        }
        this.countCall();
        if (d.kind === "create") {
            this.removeGhost();
            await this.dotnet.invokeMethodAsync("OnDrawnAsync", d.lane.key, d.start, d.end);
            return;
        }
        // Keep the ghost where it was dropped until the server answers; a refusal snaps the block back.
        this.ghost?.classList.add("cal-ghost-saving");
        try {
            const result = await this.dotnet.invokeMethodAsync("OnMovedAsync", d.block.id, d.lane.key, d.start, d.end);
            if (result?.ok) {
                this.removeGhost();
            } else {
                this.announce(result?.message ?? "The server refused the change.", true);
                this.returnGhost(d);
            }
        } catch (e) {
            this.returnGhost(d);
            throw e;
        } finally {
            this.finishBlock(d);
        }
    }

    cancel(message) {
        if (this.drag) this.finishBlock(this.drag);
        this.pending = null;
        this.drag = null;
        this.stopListening();
        this.removeGhost();
        this.root.classList.remove("cal-dragging-invalid");
        this.announce(message, false);
    }

    finishBlock(d) {
        d.blockEl?.classList.remove("cal-block-dragging");
    }

    /** A refused drop: the ghost glides back to where the block was (about 500 ms) and fades, then goes. */
    returnGhost(d) {
        const ghost = this.ghost;
        this.ghost = null;
        if (!ghost) return;
        ghost.dataset.testid = "drag-ghost-returning";
        ghost.classList.add("cal-ghost-returning");
        requestAnimationFrame(() => {
            if (d.block) {
                const ppm = this.data.pxPerMinute;
                ghost.style.left = `${(d.block.start - this.data.viewStart) / 60000 * ppm}px`;
                ghost.style.width = `${(d.block.end - d.block.start) / 60000 * ppm}px`;
            }
            ghost.style.opacity = "0";
        });
        setTimeout(() => ghost.remove(), 550);
    }

    removeGhost() {
        this.ghost?.remove();
        this.ghost = null;
    }

    stopListening() {
        this.scrollSpeed = 0;
        document.removeEventListener("pointermove", this.onMove);
        document.removeEventListener("pointerup", this.onUp);
        document.removeEventListener("pointercancel", this.onUp);
    }

    countCall() {
        this.calls++;
        this.root.dataset.dotnetCalls = String(this.calls);
    }

    announce(message, refused) {
        const region = this.root.querySelector("[data-testid=calendar-drag-status]");
        if (!region) return;
        region.textContent = message;
        region.classList.toggle("cal-drag-status-refused", refused);
        clearTimeout(this.announceTimer);
        this.announceTimer = setTimeout(() => { region.textContent = ""; }, 6000);
    }
}
