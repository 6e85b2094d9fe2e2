// Stands in for Node's built-in modules (fs, path, url) in the browser build. The WASM codecs of
// Cornerstone's DICOM image loader, and one URL library it pulls in, `require` them only on a
// code path for Node that never runs in a browser. Vite would substitute the same empty module
// by itself, printing a "has been externalized for browser compatibility" warning per import.
export default {};
