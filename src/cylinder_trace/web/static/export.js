// CSV export with a progress bar: the service streams the rows and says in X-Total-Count how
// many will come; we count lines as they arrive, then hand the file to the browser.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-export]");
  if (!link || !window.ReadableStream) return; // without streams the plain link downloads
  event.preventDefault();
  const bar = document.getElementById("export-progress");
  const status = document.getElementById("export-status");
  const response = await fetch(link.href, { credentials: "same-origin" });
  if (!response.ok) { status.textContent = "导出失败 Export failed (" + response.status + ")"; return; }
  const total = Number(response.headers.get("X-Total-Count") || link.dataset.total || 0);
  bar.max = Math.max(total, 1); bar.value = 0; bar.hidden = false;
  const reader = response.body.getReader();
  const chunks = []; let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    for (const byte of value) if (byte === 10) lines += 1;
    const rows = Math.max(0, lines - 1); // the header line
    bar.value = rows;
    status.textContent = `已导出 ${rows} / ${total} 行 · Exported ${rows} of ${total} rows`;
  }
  const url = URL.createObjectURL(new Blob(chunks, { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url; a.download = "cylinders.csv"; document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  status.dataset.done = "1";
  status.textContent = `完成：${Math.max(0, lines - 1)} 行 · Done: ${Math.max(0, lines - 1)} rows`;
});
