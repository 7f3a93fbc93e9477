"""Entry points: the `studyflow` CLI, the embedded dev stack and its servers, the demo, dev auth
and schedule registration. They may import anything; the kernel (`studyflow/` outside this
package) imports none of them."""
