//! A small authoritative DNS server for development and tests. It answers questions for
//! the TXT records it is given, and NXDOMAIN for any other name, over UDP. Muster's
//! domain verification is pointed at it with `MUSTER_DNS_SERVER`; the DNS it reads in
//! production is the system's.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;

/// The records served: TXT values by lower-case name (without the final dot).
#[derive(Clone, Default, Debug)]
pub struct Zone(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Zone {
    /// Publishes `values` as the TXT records at `name` (replacing what was there).
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let mut records = self.0.lock().unwrap_or_else(|e| e.into_inner());
        records.insert(key(name), values.iter().map(|v| (*v).to_owned()).collect());
    }

    /// Takes the records at `name` down.
    pub fn remove(&self, name: &str) {
        let mut records = self.0.lock().unwrap_or_else(|e| e.into_inner());
        records.remove(&key(name));
    }

    /// Every record, by name.
    pub fn records(&self) -> Vec<(String, Vec<String>)> {
        let records = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = records
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort();
        all
    }

    fn answer(&self, query: &Message) -> Message {
        let mut reply = Message::new();
        reply
            .set_id(query.id())
            .set_message_type(MessageType::Response)
            .set_op_code(query.op_code())
            .set_authoritative(true)
            .set_recursion_desired(query.recursion_desired());
        reply.add_queries(query.queries().to_vec());
        let records = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut known = false;
        for question in query.queries() {
            let Some(values) = records.get(&key(&question.name().to_ascii())) else {
                continue;
            };
            known = true;
            if question.query_type() == RecordType::TXT {
                for value in values {
                    reply.add_answer(Record::from_rdata(
                        question.name().clone(),
                        60,
                        RData::TXT(TXT::new(vec![value.clone()])),
                    ));
                }
            }
        }
        if !known {
            reply.set_response_code(ResponseCode::NXDomain);
        }
        reply
    }
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Serves a new, empty zone on `addr` (port 0: any free port).
pub async fn start(addr: &str) -> std::io::Result<(SocketAddr, Zone)> {
    let socket = UdpSocket::bind(addr).await?;
    let local = socket.local_addr()?;
    let zone = Zone::default();
    tokio::spawn(serve(socket, zone.clone()));
    Ok((local, zone))
}

async fn serve(socket: UdpSocket, zone: Zone) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let Ok(query) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if let Ok(bytes) = zone.answer(&query).to_vec() {
            let _ = socket.send_to(&bytes, peer).await;
        }
    }
}
