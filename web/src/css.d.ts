/** Stylesheets imported for their side effect; web/build.ts bundles them into one CSS file. */
declare module '*.css'
