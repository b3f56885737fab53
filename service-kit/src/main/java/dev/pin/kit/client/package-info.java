/** Client channels to peer services, with deadlines on every call and client-side metrics. */
package dev.pin.kit.client;
