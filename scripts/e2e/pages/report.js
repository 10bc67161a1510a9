// Shared by every page: runs the page's check and shows its JSON result, or the error, in #out,
// which the driver reads. Nothing else is on the page.
export async function report(check) {
  const out = document.getElementById('out');
  try {
    out.textContent = JSON.stringify(await check());
  } catch (e) {
    out.textContent = `ERROR ${e?.stack || e}`;
  }
}
