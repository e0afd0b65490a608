// The console's only script: confirmations for destructive actions, and live refresh. When the server's event stream
// says the task index changed, the page fetches itself again and swaps in the new <main> (at most once a second,
// and not while the operator is typing in it).
(() => {
    document.addEventListener('submit', event => {
        // A button may ask its own question (one form, several actions), else the form asks.
        const message = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
        if (message && !window.confirm(message)) {
            event.preventDefault();
        }
    });

    // A "select all" checkbox ticks every checkbox of the named field in its form.
    document.addEventListener('change', event => {
        const name = event.target.dataset?.selectAll;
        if (name) {
            event.target.form.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach(box => { box.checked = event.target.checked; });
        }
    });

    if (document.body.dataset.live !== 'on' || !window.EventSource) {
        return;
    }

    let busy = false;
    let again = false;
    async function refresh() {
        if (busy) { again = true; return; }
        const main = document.getElementById('live');
        if (main.contains(document.activeElement) && document.activeElement.matches('input, select, textarea')) { return; }
        busy = true;
        try {
            const response = await fetch(window.location.href, { headers: { 'X-Live-Refresh': '1' }, credentials: 'same-origin' });
            if (response.ok) {
                const html = new DOMParser().parseFromString(await response.text(), 'text/html');
                const fresh = html.getElementById('live');
                if (fresh) { main.innerHTML = fresh.innerHTML; }
            }
        } finally {
            busy = false;
            if (again) { again = false; setTimeout(refresh, 1000); }
        }
    }

    const source = new EventSource('/api/live');
    source.addEventListener('changed', refresh);
})();
